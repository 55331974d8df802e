module x
require (
	a v1
	b v2 // c
)
replace a => b v3
replace b v2 => ./x
