module github.com/netio-lab/netio

go 1.26.0

require (
	go.uber.org/goleak v1.3.0
	golang.org/x/sync v0.25.0
)

require (
	github.com/HdrHistogram/hdrhistogram-go v1.4.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
