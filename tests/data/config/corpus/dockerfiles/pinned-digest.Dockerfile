FROM alpine:3.20@sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d
RUN apk add --no-cache curl
USER 10001
HEALTHCHECK CMD curl -f http://127.0.0.1:8080/ || exit 1
ENTRYPOINT ["/bin/sh"]
