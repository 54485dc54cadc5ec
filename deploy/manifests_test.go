// Package deploy_test checks the deployment files in deploy/: the
// Kubernetes manifests decode into the Kubernetes API's own types, strictly
// (a misspelt or misplaced field fails, as kubectl apply would refuse it),
// and say what netio needs of them; the Dockerfile builds a static binary
// that runs as a user other than root.
package deploy_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// object is a decoded manifest document, by kind.
type object struct {
	kind string
	file string
	obj  any
}

// decodeAll decodes every document of every manifest strictly into the
// type its kind names.
func decodeAll(t *testing.T) []object {
	t.Helper()
	paths, _ := filepath.Glob("kubernetes/*.yaml")
	if len(paths) == 0 {
		t.Fatal("no manifests in deploy/kubernetes")
	}
	var out []object
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range bytes.Split(b, []byte("\n---\n")) {
			var head struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			if err := yaml.Unmarshal(doc, &head); err != nil {
				t.Fatalf("%s document %d: %v", path, i+1, err)
			}
			var obj any
			switch head.APIVersion + " " + head.Kind {
			case "apps/v1 Deployment":
				obj = &appsv1.Deployment{}
			case "v1 Service":
				obj = &corev1.Service{}
			case "v1 PersistentVolumeClaim":
				obj = &corev1.PersistentVolumeClaim{}
			case "batch/v1 Job":
				obj = &batchv1.Job{}
			default:
				t.Fatalf("%s document %d: unexpected %s %s", path, i+1, head.APIVersion, head.Kind)
			}
			if err := yaml.UnmarshalStrict(doc, obj); err != nil {
				t.Fatalf("%s document %d (%s): %v", path, i+1, head.Kind, err)
			}
			out = append(out, object{head.Kind, filepath.Base(path), obj})
		}
	}
	return out
}

func find[T any](t *testing.T, objs []object, name string) T {
	t.Helper()
	for _, o := range objs {
		if v, ok := o.obj.(T); ok && nameOf(o.obj) == name {
			return v
		}
	}
	var zero T
	t.Fatalf("no %T named %s in deploy/kubernetes", zero, name)
	return zero
}

func nameOf(obj any) string {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return o.Name
	case *corev1.Service:
		return o.Name
	case *corev1.PersistentVolumeClaim:
		return o.Name
	case *batchv1.Job:
		return o.Name
	}
	return ""
}

// TestManifests: the manifests decode strictly, and they fit together: the
// load is an Indexed Job whose pods run share $(JOB_COMPLETION_INDEX) of as
// many shares as it has completions, all at one --start-at, against the
// mock server's Service, writing to the shared volume that the merge Job
// reads every share from; every container runs as non-root, the mock
// server on an address given to it.
func TestManifests(t *testing.T) {
	objs := decodeAll(t)
	svc := find[*corev1.Service](t, objs, "netio-mock")
	mock := find[*appsv1.Deployment](t, objs, "netio-mock")
	load := find[*batchv1.Job](t, objs, "netio-load")
	merge := find[*batchv1.Job](t, objs, "netio-merge")
	find[*corev1.PersistentVolumeClaim](t, objs, "netio-results")

	port := svc.Spec.Ports[0].Port
	if args := mock.Spec.Template.Spec.Containers[0].Args; !slices.Contains(args, "--addr") || args[slices.Index(args, "--addr")+1] != fmt.Sprintf("0.0.0.0:%d", port) {
		t.Errorf("mock server args %v; want --addr 0.0.0.0:%d, the Service's port", args, port)
	}
	if load.Spec.CompletionMode == nil || *load.Spec.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("load Job completion mode %v; want Indexed", load.Spec.CompletionMode)
	}
	n := *load.Spec.Completions
	if *load.Spec.Parallelism != n {
		t.Errorf("load Job: parallelism %d, completions %d; want every share at once", *load.Spec.Parallelism, n)
	}
	args := strings.Join(load.Spec.Template.Spec.Containers[0].Args, " ")
	for _, want := range []string{
		fmt.Sprintf("--segment=$(JOB_COMPLETION_INDEX)/%d", n),
		"--start-at=$(START_AT)",
		fmt.Sprintf("--target=http://%s:%d", svc.Name, port),
		"--out=/results/share-$(JOB_COMPLETION_INDEX)",
	} {
		if !strings.Contains(args, want) {
			t.Errorf("load Job args %q lack %q", args, want)
		}
	}
	mergeArgs := merge.Spec.Template.Spec.Containers[0].Args
	for i := range n {
		if !slices.Contains(mergeArgs, fmt.Sprintf("/results/share-%d", i)) {
			t.Errorf("merge Job args %v lack share %d of %d", mergeArgs, i, n)
		}
	}
	for _, spec := range []corev1.PodSpec{mock.Spec.Template.Spec, load.Spec.Template.Spec, merge.Spec.Template.Spec} {
		if sc := spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			t.Errorf("pod %s: runAsNonRoot not set", spec.Containers[0].Image)
		}
	}
}

// TestManifestsRefuseUnknownFields: the strict decoding the test relies on
// does catch a misplaced field.
func TestManifestsRefuseUnknownFields(t *testing.T) {
	bad := []byte("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: x\nspec:\n  completionsMode: Indexed\n")
	if err := yaml.UnmarshalStrict(bad, &batchv1.Job{}); err == nil {
		t.Error("a Job with completionsMode (misspelt) decoded; want an unknown-field error")
	}
}

// TestDockerfile: two stages, the binary built without cgo (static), the
// final image running as a non-root user.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	stages := regexp.MustCompile(`(?m)^FROM `).FindAllStringIndex(text, -1)
	if len(stages) < 2 {
		t.Fatalf("%d FROM lines; want a build stage and a final one", len(stages))
	}
	final := text[stages[len(stages)-1][0]:]
	if !strings.Contains(text, "CGO_ENABLED=0") {
		t.Error("the build does not set CGO_ENABLED=0: the binary would not be static")
	}
	user := regexp.MustCompile(`(?m)^USER (\S+)`).FindStringSubmatch(final)
	if user == nil || user[1] == "root" || user[1] == "0" || strings.HasPrefix(user[1], "0:") {
		t.Errorf("final stage USER %v; want a non-root user", user)
	}
}
