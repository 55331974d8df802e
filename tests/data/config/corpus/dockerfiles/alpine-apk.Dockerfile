FROM alpine:3.20
RUN apk update && apk add --no-cache ca-certificates
RUN apk add tzdata
RUN adduser -D -u 10001 app
USER app
ENTRYPOINT ["/bin/sh"]
