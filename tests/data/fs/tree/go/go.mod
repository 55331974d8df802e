module example.com/fsdemo

go 1.21

require (
	github.com/gin-gonic/gin v1.6.0
	golang.org/x/text v0.3.5 // indirect
	example.com/local v0.0.0
)

require github.com/dgrijalva/jwt-go v3.2.0+incompatible

replace example.com/local => ./local
