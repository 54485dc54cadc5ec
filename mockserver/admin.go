package mockserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// The admin API, on its own port so that it never competes with the traffic
// being measured, and on loopback unless the operator insists:
//
//	GET /config  the model in force, as JSON (the profile format)
//	PUT /config  replace the model; the body is a whole model, checked first
//	GET /stats   counters and injected-delay percentiles (see Stats)
//
// GET /config's model is also served read-only on the serving port, at
// ModelPath, for clients that do not know the admin address.
//
// It is plain net/http: a few requests a second need nothing more.
type adminServer struct {
	listener net.Listener
	http     *http.Server
	done     chan struct{}
}

// maxConfigBytes bounds a PUT /config body.
const maxConfigBytes = 1 << 20

func startAdmin(s *Server, addr string, allowRemote bool) (*adminServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mockserver: admin listen %s: %w", addr, err)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() && !allowRemote {
		ln.Close()
		return nil, fmt.Errorf("mockserver: admin address %s is not loopback: allow it explicitly to serve the admin API there", addr)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /config", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, s.Model()) })
	mux.HandleFunc("PUT /config", s.putConfig)
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, s.Stats()) })
	a := &adminServer{
		listener: ln,
		http:     &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		done:     make(chan struct{}),
	}
	go func() {
		defer close(a.done)
		a.http.Serve(ln)
	}()
	return a, nil
}

func (a *adminServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if a.http.Shutdown(ctx) != nil {
		a.http.Close()
	}
	<-a.done
}

// putConfig replaces the model with the request's, if it is valid.
func (s *Server) putConfig(w http.ResponseWriter, r *http.Request) {
	m, err := DecodeModel(io.LimitReader(r.Body, maxConfigBytes))
	if err == nil {
		err = s.SetModel(m)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	writeJSON(w, s.Model())
}

// DecodeModel reads a model in its JSON form, refusing unknown fields (a
// misspelt field must not be silently ignored) and checking every value.
func DecodeModel(r io.Reader) (Model, error) {
	var m Model
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Model{}, fmt.Errorf("mockserver: model: %w", err)
	}
	if dec.More() {
		return Model{}, errors.New("mockserver: model: more than one JSON value")
	}
	if err := m.Validate(); err != nil {
		return Model{}, fmt.Errorf("mockserver: model: %w", err)
	}
	return m, nil
}

// ModelPath is the read-only path, on the serving port itself, of the
// model in force: the admin API's GET /config, for a client that was not
// given the admin address (netio bench --target reads the delay model it
// measures from it). It is answered like /stations, at once, whatever the
// model: it draws nothing, so the stations' seeded sequences of delays and
// faults are the same with or without it.
const ModelPath = "/model"

// modelJSON is m in its JSON form, as GET /config writes it.
func modelJSON(m Model) []byte {
	b, _ := json.MarshalIndent(m, "", "  ") // cannot fail: plain fields, Durations marshal as strings
	return append(b, '\n')
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
