FROM debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends sudo && rm -rf /var/lib/apt/lists/*
RUN sudo mkdir -p /opt/data && sudo chown root /opt/data
USER root
CMD ["bash"]
