# A Node.js web service, the shape of the official "Dockerizing a Node.js web app" guide.
FROM node:20-bookworm-slim
WORKDIR /usr/src/app
COPY package*.json ./
RUN npm ci --omit=dev
COPY . .
EXPOSE 8080
USER node
CMD ["node", "server.js"]
