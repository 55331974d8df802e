FROM centos:7
RUN yum install -y httpd
RUN useradd -u 20000 web
USER web
CMD ["httpd", "-DFOREGROUND"]
