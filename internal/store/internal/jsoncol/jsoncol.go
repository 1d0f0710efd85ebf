// Package jsoncol encodes the store fields that both implementations keep as
// JSON text in one column.
package jsoncol

import (
	"encoding/json"
	"fmt"

	"github.com/switchyard-dev/switchyard/internal/store"
)

// EncodeProviderResponses returns the column value of a generation's
// attempts: a JSON array ("[]" for none), each error clipped with
// store.ClipError.
func EncodeProviderResponses(prs []store.ProviderResponse) ([]byte, error) {
	if len(prs) == 0 {
		return []byte("[]"), nil
	}
	clipped := make([]store.ProviderResponse, len(prs))
	for i, pr := range prs {
		pr.Error = store.ClipError(pr.Error)
		clipped[i] = pr
	}
	b, err := json.Marshal(clipped)
	if err != nil {
		return nil, fmt.Errorf("encode provider responses: %w", err)
	}
	return b, nil
}

// DecodeProviderResponses parses a column written by
// EncodeProviderResponses; none is nil.
func DecodeProviderResponses(b []byte) ([]store.ProviderResponse, error) {
	var prs []store.ProviderResponse
	if err := json.Unmarshal(b, &prs); err != nil {
		return nil, fmt.Errorf("decode provider responses: %w", err)
	}
	if len(prs) == 0 {
		return nil, nil
	}
	return prs, nil
}
