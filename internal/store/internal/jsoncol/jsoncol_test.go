package jsoncol

import (
	"slices"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/store"
)

func TestProviderResponsesRoundTrip(t *testing.T) {
	long := strings.Repeat("é", 300) // 600 bytes, two per character
	tests := []struct {
		name string
		in   []store.ProviderResponse
		col  string // the encoded column, when checked
		want []store.ProviderResponse
	}{
		{name: "nil", in: nil, col: "[]", want: nil},
		{name: "empty", in: []store.ProviderResponse{}, col: "[]", want: nil},
		{
			name: "two attempts",
			in: []store.ProviderResponse{
				{Provider: "groq", Name: "Groq", Model: "m/x", Endpoint: "groq", Status: 503, LatencyMs: 12, Error: "overloaded"},
				{Provider: "together", Name: "Together", Model: "m/x", Endpoint: "together/turbo", Status: 200, LatencyMs: 340},
			},
			want: []store.ProviderResponse{
				{Provider: "groq", Name: "Groq", Model: "m/x", Endpoint: "groq", Status: 503, LatencyMs: 12, Error: "overloaded"},
				{Provider: "together", Name: "Together", Model: "m/x", Endpoint: "together/turbo", Status: 200, LatencyMs: 340},
			},
		},
		{
			name: "long error clipped on a character boundary",
			in:   []store.ProviderResponse{{Provider: "p", Status: 500, Error: long}},
			want: []store.ProviderResponse{{Provider: "p", Status: 500, Error: long[:store.MaxProviderErrorBytes]}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.in)
			b, err := EncodeProviderResponses(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if tt.col != "" && string(b) != tt.col {
				t.Errorf("column %s, want %s", b, tt.col)
			}
			got, err := DecodeProviderResponses(b)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("round trip = %+v, want %+v", got, tt.want)
			}
			if !slices.Equal(tt.in, in) {
				t.Errorf("encoding changed its argument")
			}
		})
	}
}

func TestDecodeProviderResponsesRejectsGarbage(t *testing.T) {
	if _, err := DecodeProviderResponses([]byte(`{"not":"an array"}`)); err == nil {
		t.Error("decoding an object succeeded")
	}
}
