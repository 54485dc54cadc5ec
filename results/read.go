package results

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// FileName is the name of a run folder's result file.
const FileName = "run.json"

// ReadDir reads the run.json of a run folder. It accepts versions 1 and 2;
// a version 1 file's summaries are worked out again from its runs (their
// fields were named differently). The error names the file and what is
// wrong with it: missing, truncated, not JSON, or of another version.
func ReadDir(dir string) (File, error) {
	path := filepath.Join(dir, FileName)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return File{}, fmt.Errorf("%s: no %s: not a run folder", dir, FileName)
	}
	if err != nil {
		return File{}, err
	}
	return Parse(path, b)
}

// Parse reads the content b of a result file; name is for errors.
func Parse(name string, b []byte) (File, error) {
	var head struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return File{}, fmt.Errorf("%s: %s", name, describeJSONError(err))
	}
	if head.Version < 1 || head.Version > Version {
		return File{}, fmt.Errorf("%s: version %d; this netio reads versions 1 to %d", name, head.Version, Version)
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		return File{}, fmt.Errorf("%s: %s", name, describeJSONError(err))
	}
	if head.Version == 1 {
		f.Summary = Summarize(f.Runs)
	}
	return f, nil
}

// describeJSONError says what is wrong with a file that does not decode.
func describeJSONError(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err.Error() == "unexpected end of JSON input":
		return "truncated: the file ends in the middle of its JSON"
	case errors.As(err, &syntax):
		return fmt.Sprintf("not valid JSON at byte %d: %v", syntax.Offset, err)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q holds a %s, not a %s", typ.Field, typ.Value, typ.Type)
	}
	return err.Error()
}

// EncodeHistogram encodes a latency histogram as a Run's LatencyHist:
// HdrHistogram's V2 compressed encoding, base64.
func EncodeHistogram(h *hdrhistogram.Histogram) (string, error) {
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", fmt.Errorf("results: encode histogram: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// DecodeHistogram decodes a Run's LatencyHist. An empty one (a file from
// before histograms were kept) is an error saying so.
func DecodeHistogram(encoded string) (*hdrhistogram.Histogram, error) {
	if encoded == "" {
		return nil, errors.New("no latency histogram: the file is from before netio kept them")
	}
	b, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, fmt.Errorf("latency histogram: %w", err)
	}
	h, err := hdrhistogram.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("latency histogram: %w", err)
	}
	return h, nil
}
