package report

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/netio-lab/netio/results"
)

// markdown lays the page out as GitHub-flavoured Markdown, the charts as
// the SVG files Write puts beside it.
func (p *page) markdown() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n\nFrom %s.\n\n", p.title, "`"+strings.Join(p.sources, "`, `")+"`")
	for _, n := range p.notes {
		fmt.Fprintf(&b, "> %s\n\n", n)
	}
	fmt.Fprintf(&b, "## Summary\n\n%s\n", p.mdTable)
	for _, c := range p.charts {
		fmt.Fprintf(&b, "## %s\n\n![%s](%s)\n\n%s\n\n", c.title, c.title, c.file, c.caption)
	}
	b.WriteString("## Environment\n\n")
	for _, e := range p.env {
		fmt.Fprintf(&b, "- %s, %s (%s/%s, kernel %s), %s, %d cores, GOMAXPROCS %d, %s, netio %s\n",
			e.Date, e.Host, e.OS, e.Arch, e.Kernel, e.CPUModel, e.Cores, e.GOMAXPROCS, e.GoVersion, e.Commit)
	}
	b.WriteString("\n## To reproduce\n\n")
	for _, cmd := range p.commands {
		fmt.Fprintf(&b, "```sh\n%s\n```\n", shellJoin(cmd))
	}
	return b.Bytes()
}

// markdownTable is the summary as a Markdown table: a row per point, the
// columns of the terminal table (results.Metrics).
func markdownTable(summary []results.Summary) string {
	var b strings.Builder
	head := []string{"strategy", "point"}
	for _, m := range results.Metrics {
		if m.Column {
			head = append(head, m.Title)
		}
	}
	head = append(head, "ERRORS")
	b.WriteString("| " + strings.Join(head, " | ") + " |\n")
	b.WriteString("| :--- | :--- |" + strings.Repeat(" ---: |", len(head)-2) + "\n")
	for _, s := range summary {
		row := []string{s.Strategy, "`" + results.BenchName(s.Point) + "`"}
		for _, m := range results.Metrics {
			if !m.Column {
				continue
			}
			if sp, ok := s.Metrics[m.Name]; ok {
				row = append(row, fmt.Sprintf(m.Format, sp.Median))
			} else {
				row = append(row, "n/a")
			}
		}
		row = append(row, fmt.Sprint(s.Failed+s.Mismatched))
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
	return b.String()
}
