// crs-eval: kube-state-metrics' own Custom Resource State code, fed a config and objects without
// a cluster, for the differential tests of instruments/crds (test/real/ksm-crs.test.ts).
//
// stdin:  {"config": "<a CustomResourceStateMetrics document, YAML>", "objects": [<object>, ...]}
// stdout: one JSON line per series, {"name", "labels", "value"}, in generation order; or one
//
//	{"error": "..."} line where kube-state-metrics refuses the config.
//
// Objects are decoded as client-go decodes them (integers as int64), and each resource of the
// config is compiled for the group, version and kind it names (no discovery: wildcards need the
// real cluster, where the kube-state-metrics binary of this module is run instead).
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/kube-state-metrics/v2/pkg/customresourcestate"
	"k8s.io/kube-state-metrics/v2/pkg/metric"
	yaml "sigs.k8s.io/yaml/goyaml.v3"
)

type input struct {
	Config  string            `json:"config"`
	Objects []json.RawMessage `json:"objects"`
}

type series struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels"`
	// Text, so NaN and infinities survive JSON.
	Value string `json:"value"`
}

func fail(format string, args ...any) {
	out, _ := json.Marshal(map[string]string{"error": fmt.Sprintf(format, args...)})
	fmt.Println(string(out))
	os.Exit(0)
}

func main() {
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("reading stdin: %v", err)
	}
	var in input
	if err := json.Unmarshal(raw, &in); err != nil {
		fail("decoding stdin: %v", err)
	}
	// As kube-state-metrics reads --custom-resource-state-config (pkg/app/server.go).
	var config customresourcestate.Metrics
	if err := yaml.NewDecoder(strings.NewReader(in.Config)).Decode(&config); err != nil {
		fail("failed to parse Custom Resource State metrics: %v", err)
	}
	objects := make([]*unstructured.Unstructured, 0, len(in.Objects))
	for i, text := range in.Objects {
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(text); err != nil {
			fail("object %d: %v", i, err)
		}
		objects = append(objects, u)
	}
	encoder := json.NewEncoder(os.Stdout)
	for _, resource := range config.Spec.Resources {
		// FromConfig lowercases the type (configOverrides); it is unexported, so the same here.
		for j := range resource.Metrics {
			resource.Metrics[j].Each.Type = metric.Type(strings.ToLower(string(resource.Metrics[j].Each.Type)))
		}
		factory, err := customresourcestate.NewCustomResourceMetrics(resource)
		if err != nil {
			fail("failed to create metrics factory for %s: %v", resource.GroupVersionKind, err)
		}
		for _, generator := range factory.MetricFamilyGenerators() {
			for _, object := range objects {
				family := generator.GenerateFunc(object)
				for _, m := range family.Metrics {
					labels := map[string]string{}
					for k, key := range m.LabelKeys {
						labels[key] = m.LabelValues[k]
					}
					_ = encoder.Encode(series{Name: generator.Name, Labels: labels, Value: formatValue(m.Value)})
				}
			}
		}
	}
}

func formatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return fmt.Sprintf("%v", v)
}
