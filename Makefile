# Herald's everyday commands. `make test` is the one CI runs (.ci/run).

.PHONY: run test test/short lint bench fuzz build release release/check image

run:            ## run Herald on SQLite in ./herald-data, listening on 127.0.0.1:8080
	go run ./cmd/herald serve

test:           ## the whole suite: static checks, a throw-away PostgreSQL, go test -race ./...
	scripts/test.sh

test/short:     ## unit tests only, no PostgreSQL, no subprocesses
	go test -short ./...

lint:           ## gofmt, go vet, staticcheck
	test -z "$$(gofmt -l .)"
	go vet ./...
	$$(go env GOPATH)/bin/staticcheck ./...

build:          ## build bin/herald
	go build -o bin/herald ./cmd/herald

bench:          ## end-to-end throughput and latency against plain HTTP (herald bench)
	go run ./cmd/herald bench

fuzz:           ## run each fuzz target for 10 seconds (FUZZTIME=1m for longer)
	scripts/fuzz.sh

release:        ## static, reproducible binaries for linux/amd64, linux/arm64, darwin/arm64, windows/amd64 in dist/, with SHA256SUMS
	scripts/release.sh

release/check:  ## build linux/amd64 twice (here and from a copy elsewhere) and compare checksums
	scripts/release.sh --check

image:          ## container image from the release binary (Containerfile), with docker or podman
	scripts/image.sh
