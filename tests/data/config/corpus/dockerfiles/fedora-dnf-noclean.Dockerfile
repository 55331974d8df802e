FROM registry.fedoraproject.org/fedora:40
RUN dnf install -y nodejs
USER 1001
CMD ["node"]
