FROM node:20-alpine
ARG NPM_TOKEN
ENV DB_PASSWORD=changeme123 \
    NODE_ENV=production
ENV AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
WORKDIR /app
COPY . .
RUN npm ci
USER node
CMD ["node", "index.js"]
