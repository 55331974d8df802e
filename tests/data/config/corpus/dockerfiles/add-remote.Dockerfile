FROM debian:bookworm-slim
ADD https://github.com/example/tool/releases/download/v1.0/tool-linux-amd64 /usr/local/bin/tool
ADD config.yaml /etc/tool/config.yaml
ADD rootfs.tar.gz /
USER 65534
CMD ["/usr/local/bin/tool"]
