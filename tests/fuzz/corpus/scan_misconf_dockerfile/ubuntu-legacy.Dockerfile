FROM ubuntu:latest
MAINTAINER ops@example.com
RUN apt-get update
RUN apt-get install curl wget vim
RUN apt-get dist-upgrade -y
RUN cd /tmp && wget https://example.com/tool.tgz
RUN curl -fsSL https://example.com/install.sh | bash
EXPOSE 22 8080
CMD ["/usr/sbin/sshd", "-D"]
