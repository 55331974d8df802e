FROM registry.access.redhat.com/ubi9/ubi-minimal:9.4
RUN microdnf install -y shadow-utils
USER 1001
CMD ["/bin/sh"]
