FROM alpine:3.20 AS base
RUN echo one
FROM alpine:3.20 AS base
COPY --from=base /etc/os-release /tmp/
USER 1000
EXPOSE 70000
