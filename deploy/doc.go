// Package deploy holds mmdbot's Kubernetes manifests (a Deployment of two
// replicas on a shared PostgreSQL, its Service, PodDisruptionBudget,
// Ingress example, knowledge ConfigMap and Secret), and the test that
// decodes each strictly into the Kubernetes API types, so that a typo
// fails CI. docs/deploy.md walks through them.
package deploy
