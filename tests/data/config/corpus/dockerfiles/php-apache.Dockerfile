FROM php:8.3-apache
RUN apt-get update && apt-get install -y libzip-dev zip \
  && docker-php-ext-install zip
COPY src/ /var/www/html/
EXPOSE 80
