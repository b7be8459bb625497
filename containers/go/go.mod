module pqinterop/pqi-go

go 1.27
