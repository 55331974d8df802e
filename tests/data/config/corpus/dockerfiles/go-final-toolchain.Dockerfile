FROM golang:1.22-alpine AS deps
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download

FROM golang:1.22-alpine
WORKDIR /src
COPY --from=deps /go/pkg /go/pkg
COPY . .
RUN go build -o /usr/local/bin/app .
CMD ["app"]
