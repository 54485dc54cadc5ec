# netio in a container, for load generators and the mock server on a
# cluster (deploy/kubernetes, docs/scale-out.md).
#
#   docker build -t netio .
#   docker run --rm netio bench --strategy pool,epoll --n 10000
#
# Two stages: Go builds a static binary (no cgo), and the image holds that
# binary alone, running as an unprivileged user. The repository's .git
# comes along, so that the binary records its commit: netio merge refuses
# shares made by different builds.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/netio ./cmd/netio

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/netio /usr/local/bin/netio
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/netio"]
CMD ["--help"]
