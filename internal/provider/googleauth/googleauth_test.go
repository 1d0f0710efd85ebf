package googleauth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// serviceAccount returns a service-account key whose token_uri is tokenURL.
func serviceAccount(t *testing.T, tokenURL string) []byte {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := json.Marshal(map[string]string{
		"type":           "service_account",
		"project_id":     "my-project",
		"private_key_id": "kid1",
		"private_key":    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":   "gateway@my-project.iam.gserviceaccount.com",
		"token_uri":      tokenURL,
	})
	return key
}

func TestServiceAccountTokenExchange(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		if r.Form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" || strings.Count(r.Form.Get("assertion"), ".") != 2 {
			t.Errorf("token request form %v", r.Form)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"ya29.token","token_type":"Bearer","expires_in":3600}`))
	}))
	defer srv.Close()

	a, err := FromServiceAccountJSON(serviceAccount(t, srv.URL), srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if a.ProjectID() != "my-project" {
		t.Errorf("project %q", a.ProjectID())
	}
	for range 3 {
		req, _ := http.NewRequest(http.MethodPost, "https://us-central1-aiplatform.googleapis.com/", nil)
		if err := a.Authorize(req, nil); err != nil {
			t.Fatal(err)
		}
		if got := req.Header.Get("Authorization"); got != "Bearer ya29.token" {
			t.Fatalf("Authorization = %q", got)
		}
	}
	if calls.Load() != 1 {
		t.Errorf("%d token exchanges for one unexpired token", calls.Load())
	}
}

func TestRejectsOtherCredentials(t *testing.T) {
	for _, key := range []string{"AIzaSy-an-api-key", `{"type":"authorized_user"}`, `{"type":"service_account","private_key":"nope"}`} {
		if _, err := FromServiceAccountJSON([]byte(key), nil); err == nil {
			t.Errorf("%s: accepted", key)
		}
	}
}

func TestTokenErrorsSurface(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
	}))
	defer srv.Close()
	a, err := FromServiceAccountJSON(serviceAccount(t, srv.URL), srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, (&url.URL{Scheme: "https", Host: "x"}).String(), nil)
	if err := a.Authorize(req, nil); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("err = %v", err)
	}
	s := Static("tok")
	if err := s.Authorize(req, nil); err != nil || req.Header.Get("Authorization") != "Bearer tok" {
		t.Fatal(err, req.Header)
	}
}
