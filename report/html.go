package report

import (
	"bytes"
	"html/template"
	"regexp"
	"strings"
)

// The page is printable and needs nothing from outside it: styles are
// inline, charts are inline SVG, and no element refers to a URL.
var pageTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #111; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #ccc; }
pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; font-size: .8rem; }
figure { margin: 1.5rem 0; page-break-inside: avoid; break-inside: avoid; }
figure svg { width: 100%; height: auto; }
figcaption { font-size: .9rem; color: #333; }
table.env td { padding: 0 1rem 0 0; font-size: .9rem; }
.note { color: #8a3b00; }
@media print { body { max-width: none; margin: 0; } pre { white-space: pre-wrap; } }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>From {{range $i, $s := .Sources}}{{if $i}}, {{end}}<code>{{$s}}</code>{{end}}.</p>
{{range .Notes}}<p class="note">{{.}}</p>
{{end}}
<h2>Summary</h2>
<pre>{{.Table}}</pre>
{{range .Charts}}
<h2>{{.Title}}</h2>
<figure class="chart" id="{{.ID}}">
{{.SVG}}
<figcaption>{{.Caption}}</figcaption>
</figure>
{{end}}
<h2>Environment</h2>
{{range .Env}}<table class="env">
<tr><td>date</td><td>{{.Date}}</td></tr>
<tr><td>host</td><td>{{.Host}} ({{.OS}}/{{.Arch}}, kernel {{.Kernel}})</td></tr>
<tr><td>CPU</td><td>{{.CPUModel}}, {{.Cores}} cores, GOMAXPROCS {{.GOMAXPROCS}}</td></tr>
<tr><td>Go</td><td>{{.GoVersion}}</td></tr>
<tr><td>netio commit</td><td>{{.Commit}}</td></tr>
</table>
{{end}}
<h2>To reproduce</h2>
{{range .Commands}}<pre>{{.}}</pre>
{{end}}
</body>
</html>
`))

// xmlProlog is the declaration gonum's SVG starts with: not allowed
// inside an HTML page.
var xmlProlog = regexp.MustCompile(`^<\?xml[^>]*\?>\s*`)

// html lays the page out as one self-contained HTML file.
func (p *page) html() []byte {
	type htmlChart struct {
		ID, Title, Caption string
		SVG                template.HTML
	}
	data := struct {
		Title, Table string
		Sources      []string
		Notes        []string
		Charts       []htmlChart
		Env          any
		Commands     []string
	}{Title: p.title, Table: p.table, Sources: p.sources, Notes: p.notes, Env: p.env}
	for _, c := range p.charts {
		svg := xmlProlog.ReplaceAll(c.svg, nil)
		// Trusted: gonum drew it from numbers and the strategies' names,
		// which the SVG writer escapes.
		data.Charts = append(data.Charts, htmlChart{ID: strings.TrimSuffix(c.file, ".svg"), Title: c.title, Caption: c.caption, SVG: template.HTML(svg)})
	}
	for _, cmd := range p.commands {
		data.Commands = append(data.Commands, shellJoin(cmd))
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, data); err != nil {
		panic("report: page template: " + err.Error()) // the template and its data are fixed: a bug
	}
	return buf.Bytes()
}

// shellJoin quotes a command's words for a POSIX shell.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
			out[i] = a
		} else {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}
