package catalog

// The bundled catalog, data/catalog.json, is generated from the price file
// in source/ and checked in; TestBundledCatalogUpToDate fails when they
// drift apart. To refresh it after changing the rules or the price file:
//
//	go generate ./internal/catalog

//go:generate go run ./gen
