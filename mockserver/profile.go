package mockserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// Profile is the content of a --profile file: the server's settings and its
// model, in JSON or YAML. Field names are those of Model's JSON form, plus
// the few server settings below. Zero fields keep the command line's value.
type Profile struct {
	Addr     string   `json:"addr,omitempty"`
	Seed     *int64   `json:"seed,omitempty"`
	MaxConns int      `json:"max_conns,omitempty"`
	MaxDelay Duration `json:"max_delay,omitempty"`
	MaxHang  Duration `json:"max_hang,omitempty"`
	Model
}

// LoadProfile reads a profile file; the format follows the extension
// (.json, .yaml or .yml). Its errors name the file and the bad field.
func LoadProfile(path string) (Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Profile{}, fmt.Errorf("mockserver: profile: %w", err)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
	case ".yaml", ".yml":
		if data, err = yamlToJSON(data); err != nil {
			return Profile{}, fmt.Errorf("mockserver: profile %s: %w", path, err)
		}
	default:
		return Profile{}, fmt.Errorf("mockserver: profile %s: want a .json, .yaml or .yml file", path)
	}
	var p Profile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Profile{}, fmt.Errorf("mockserver: profile %s: %w", path, err)
	}
	if err := p.Model.Validate(); err != nil {
		return Profile{}, fmt.Errorf("mockserver: profile %s: %w", path, err)
	}
	if p.MaxConns < 0 || p.MaxDelay < 0 || p.MaxHang < 0 {
		return Profile{}, fmt.Errorf("mockserver: profile %s: max_conns, max_delay and max_hang must not be negative", path)
	}
	return p, nil
}

// yamlToJSON converts YAML to JSON, so that one decoder, with one set of
// field names and checks, reads both formats.
func yamlToJSON(data []byte) ([]byte, error) {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	if v == nil {
		v = map[string]any{}
	}
	return json.Marshal(v)
}
