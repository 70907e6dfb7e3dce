//go:build tools

// kube-state-metrics' own main package is the other binary built from this module; importing it
// under a tag no build sets keeps its dependencies in go.mod and go.sum.
package main

import _ "k8s.io/kube-state-metrics/v2"
