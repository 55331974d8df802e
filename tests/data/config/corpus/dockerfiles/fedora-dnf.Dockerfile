FROM fedora:40
RUN dnf install -y python3 && dnf clean all
USER 1001
HEALTHCHECK CMD curl -f http://localhost/ || exit 1
CMD ["python3", "-m", "http.server"]
