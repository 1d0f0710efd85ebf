package awsauth

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/logging"
)

func TestSigV4DoubleEncodesThePath(t *testing.T) {
	a := New("AKIDEXAMPLE:secret:token", "eu-west-3", BedrockService)
	if !a.SigV4() {
		t.Fatal("credentials were taken for an API key")
	}
	a.Now = func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }
	var canonical strings.Builder
	a.SignerOptions = append(a.SignerOptions, func(o *v4.SignerOptions) {
		o.LogSigning = true
		o.Logger = logging.LoggerFunc(func(_ logging.Classification, f string, v ...any) { fmt.Fprintf(&canonical, f, v...) })
	})
	path, raw := ModelPath("", "", "anthropic.claude-3-7-sonnet-20250219-v1:0", "invoke")
	body := []byte(`{"x":1}`)
	req, _ := http.NewRequest(http.MethodPost, "https://bedrock-runtime.eu-west-3.amazonaws.com", bytes.NewReader(body))
	req.URL.Path, req.URL.RawPath = path, raw
	if err := a.Authorize(req, body); err != nil {
		t.Fatal(err)
	}
	if auth := req.Header.Get("Authorization"); !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250102/eu-west-3/bedrock/aws4_request") {
		t.Fatalf("Authorization = %q", auth)
	}
	if req.Header.Get("X-Amz-Date") != "20250102T030405Z" || req.Header.Get("X-Amz-Security-Token") != "token" {
		t.Fatalf("headers %v", req.Header)
	}
	if req.URL.EscapedPath() != "/model/anthropic.claude-3-7-sonnet-20250219-v1%3A0/invoke" {
		t.Fatalf("wire path %q", req.URL.EscapedPath())
	}
	if !strings.Contains(canonical.String(), "/model/anthropic.claude-3-7-sonnet-20250219-v1%253A0/invoke") {
		t.Fatalf("canonical request does not double-encode: %s", canonical.String())
	}
}

func TestBearerAndParsing(t *testing.T) {
	if New("", "us-east-1", BedrockService) != nil {
		t.Fatal("an empty key made an Auth")
	}
	a := New("ABSKbedrockapikey=", "us-east-1", BedrockService)
	req, _ := http.NewRequest(http.MethodPost, "https://example.com", nil)
	if a.SigV4() || a.Authorize(req, nil) != nil || req.Header.Get("Authorization") != "Bearer ABSKbedrockapikey=" {
		t.Fatalf("bearer: %v", req.Header)
	}
	for key, want := range map[string]bool{"AKIA1:s": true, "AKIA1:s:t": true, "akia:s": false, "AKIA1": false, ":s": false, "AKIA1:": false} {
		if _, ok := ParseCredentials(key); ok != want {
			t.Errorf("ParseCredentials(%q) = %v", key, ok)
		}
	}
	for host, want := range map[string]string{"bedrock-runtime.ap-south-1.amazonaws.com": "ap-south-1", "bedrock-runtime-fips.us-west-2.amazonaws.com": "us-west-2", "127.0.0.1": DefaultRegion} {
		if got := RegionFromHost(host); got != want {
			t.Errorf("RegionFromHost(%q) = %q", host, got)
		}
	}
	if !IsBedrockHost("bedrock-runtime.us-east-1.amazonaws.com") || IsBedrockHost("api.anthropic.com") {
		t.Error("IsBedrockHost")
	}
}
