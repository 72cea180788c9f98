package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"

	"github.com/mmdbot/mmdbot/knowledge"
)

// objects are the manifests' objects, by kind, decoded.
type objects struct {
	deployments []appsv1.Deployment
	services    []corev1.Service
	configMaps  []corev1.ConfigMap
	secrets     []corev1.Secret
	pdbs        []policyv1.PodDisruptionBudget
	ingresses   []networkingv1.Ingress
}

// strict decodes JSON into v, an unknown field being an error.
func strict(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// decodeAll decodes every document of every manifest into its Kubernetes
// type: an unknown field, kind or apiVersion fails.
func decodeAll(t *testing.T) objects {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	var o objects
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range strings.Split(string(data), "\n---") {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			// Strict YAML: duplicate keys are errors.
			j, err := yaml.YAMLToJSONStrict([]byte(doc))
			if err != nil {
				t.Errorf("%s, document %d: %v", f, i+1, err)
				continue
			}
			if err := o.add(j); err != nil {
				t.Errorf("%s, document %d: %v", f, i+1, err)
			}
		}
	}
	return o
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// add decodes one object by its apiVersion and kind.
func (o *objects) add(j []byte) error {
	var tm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := json.Unmarshal(j, &tm); err != nil {
		return err
	}
	var err error
	switch tm.APIVersion + " " + tm.Kind {
	case "apps/v1 Deployment":
		var v appsv1.Deployment
		if err = strict(j, &v); err == nil {
			o.deployments = append(o.deployments, v)
		}
	case "v1 Service":
		var v corev1.Service
		if err = strict(j, &v); err == nil {
			o.services = append(o.services, v)
		}
	case "v1 ConfigMap":
		var v corev1.ConfigMap
		if err = strict(j, &v); err == nil {
			o.configMaps = append(o.configMaps, v)
		}
	case "v1 Secret":
		var v corev1.Secret
		if err = strict(j, &v); err == nil {
			o.secrets = append(o.secrets, v)
		}
	case "policy/v1 PodDisruptionBudget":
		var v policyv1.PodDisruptionBudget
		if err = strict(j, &v); err == nil {
			o.pdbs = append(o.pdbs, v)
		}
	case "networking.k8s.io/v1 Ingress":
		var v networkingv1.Ingress
		if err = strict(j, &v); err == nil {
			o.ingresses = append(o.ingresses, v)
		}
	default:
		return fmt.Errorf("unknown apiVersion and kind %q %q", tm.APIVersion, tm.Kind)
	}
	return err
}

// TestStrictDecode: a field that Kubernetes does not know is an error.
func TestStrictDecode(t *testing.T) {
	var o objects
	err := o.add([]byte(`{"apiVersion":"apps/v1","kind":"Deployment","spec":{"replica":2}}`))
	if err == nil || !strings.Contains(err.Error(), "replica") {
		t.Errorf("a misspelt field decodes: %v", err)
	}
}

// TestManifests: the manifests decode, and they make a real installation:
// two replicas probed on /readyz and /healthz with resources, a PDB and a
// Service selecting them, the knowledge from a ConfigMap mounted as a
// directory (so that its updates arrive), tokens and MMD_DATABASE_URL from
// the Secret, and a grace period longer than the shutdown.
func TestManifests(t *testing.T) {
	o := decodeAll(t)
	if len(o.deployments) != 1 || len(o.services) != 1 || len(o.configMaps) != 1 || len(o.secrets) != 1 || len(o.pdbs) != 1 || len(o.ingresses) != 1 {
		t.Fatalf("want one of each object: %d deployments, %d services, %d configmaps, %d secrets, %d pdbs, %d ingresses",
			len(o.deployments), len(o.services), len(o.configMaps), len(o.secrets), len(o.pdbs), len(o.ingresses))
	}
	d := o.deployments[0]
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Error("the Deployment does not run two replicas")
	}
	checkSelectors(t, o)
	c := d.Spec.Template.Spec.Containers[0]
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.LivenessProbe == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Error("probes: readiness on /readyz, liveness on /healthz")
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Error("resource requests and a memory limit are wanted")
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	checkSecret(t, o, c, env)
	checkKnowledge(t, o, c, env)
	grace := d.Spec.Template.Spec.TerminationGracePeriodSeconds
	if grace == nil || *grace < 40 || env["MMD_SHUTDOWN_TIMEOUT"] != "30s" || env["MMD_SHUTDOWN_DELAY"] != "5s" {
		t.Error("the grace period must outlast --shutdown-delay plus --shutdown-timeout")
	}
	checkIngress(t, o)
}

// checkSelectors: the Deployment's, the Service's and the PDB's selectors
// select the Deployment's pods.
func checkSelectors(t *testing.T, o objects) {
	t.Helper()
	d := o.deployments[0]
	labels := d.Spec.Template.Labels
	for what, sel := range map[string]map[string]string{
		"the Deployment's": d.Spec.Selector.MatchLabels,
		"the Service's":    o.services[0].Spec.Selector,
		"the PDB's":        o.pdbs[0].Spec.Selector.MatchLabels,
	} {
		if len(sel) == 0 {
			t.Errorf("%s selector is empty", what)
		}
		for k, v := range sel {
			if labels[k] != v {
				t.Errorf("%s selector %s=%s selects no pod", what, k, v)
			}
		}
	}
}

// checkSecret: the tokens and MMD_DATABASE_URL come from the Secret, and
// none is set in the Deployment itself.
func checkSecret(t *testing.T, o objects, c corev1.Container, env map[string]string) {
	t.Helper()
	secret := o.secrets[0]
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].SecretRef == nil || c.EnvFrom[0].SecretRef.Name != secret.Name {
		t.Error("the tokens do not come from the Secret")
	}
	if _, ok := secret.StringData["MMD_DATABASE_URL"]; !ok {
		t.Error("the Secret has no MMD_DATABASE_URL")
	}
	for name := range secret.StringData {
		if _, inline := env[name]; inline {
			t.Errorf("%s is set in the Deployment itself, not from the Secret", name)
		}
	}
}

// checkKnowledge: MMD_KB names a key of the ConfigMap, mounted as a
// directory (a subPath mount never sees updates), and it loads.
func checkKnowledge(t *testing.T, o objects, c corev1.Container, env map[string]string) {
	t.Helper()
	cm := o.configMaps[0]
	var mount *corev1.VolumeMount
	for i, m := range c.VolumeMounts {
		for _, v := range o.deployments[0].Spec.Template.Spec.Volumes {
			if v.Name == m.Name && v.ConfigMap != nil && v.ConfigMap.Name == cm.Name {
				mount = &c.VolumeMounts[i]
			}
		}
	}
	if mount == nil || mount.SubPath != "" {
		t.Fatal("the knowledge ConfigMap is not mounted as a directory (a subPath mount never sees updates)")
	}
	dir, key := filepath.Split(env["MMD_KB"])
	if filepath.Clean(dir) != mount.MountPath || cm.Data[key] == "" {
		t.Errorf("MMD_KB %q is not a key of the mounted ConfigMap", env["MMD_KB"])
	}
	if _, err := knowledge.Load(knowledge.File{Name: key, Data: []byte(cm.Data[key])}); err != nil {
		t.Errorf("the ConfigMap's knowledge does not load: %v", err)
	}
}

// checkIngress: the Ingress sends Slack's and the Bot Framework's
// requests to the Service, and never /metrics.
func checkIngress(t *testing.T, o objects) {
	t.Helper()
	routes := map[string]bool{}
	for _, r := range o.ingresses[0].Spec.Rules {
		for _, p := range r.HTTP.Paths {
			if p.Backend.Service == nil || p.Backend.Service.Name != o.services[0].Name {
				t.Errorf("path %s goes elsewhere than the Service", p.Path)
			}
			routes[p.Path] = true
		}
	}
	for _, p := range []string{"/slack", "/api"} {
		if !routes[p] {
			t.Errorf("the Ingress lacks %s", p)
		}
	}
	if routes["/metrics"] {
		t.Error("the Ingress exposes /metrics")
	}
}
