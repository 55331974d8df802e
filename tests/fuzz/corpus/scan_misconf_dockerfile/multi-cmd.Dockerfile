FROM python:3.12-alpine
WORKDIR app
COPY a.py b.py c.py /app
USER 1000
HEALTHCHECK CMD true
HEALTHCHECK CMD false
ENTRYPOINT ["python"]
ENTRYPOINT ["python3"]
CMD ["a.py"]
CMD ["b.py"]
