FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl wget && rm -rf /var/lib/apt/lists/*
RUN wget -q https://example.com/a.txt
RUN curl -fsSLo b.txt https://example.com/b.txt
USER 1000
CMD ["cat", "a.txt"]
