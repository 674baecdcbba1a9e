// Command openapiv2pb encodes a Kubernetes swagger.json (OpenAPI v2) as the gnostic openapi_v2.Document
// protobuf that kubectl 1.27 and 1.28 ask for at /openapi/v2. Run by scripts/vendorProtos.mjs.
//
//	go run . <swagger.json> <out.pb>
package main

import (
	"fmt"
	"os"

	openapi_v2 "github.com/google/gnostic-models/openapiv2"
	"google.golang.org/protobuf/proto"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: openapiv2pb <swagger.json> <out.pb>")
		os.Exit(2)
	}
	in, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail(err)
	}
	doc, err := openapi_v2.ParseDocument(in)
	if err != nil {
		fail(fmt.Errorf("parse %s: %w", os.Args[1], err))
	}
	// Deterministic so that regenerating an unchanged spec leaves the committed file unchanged.
	out, err := proto.MarshalOptions{Deterministic: true}.Marshal(doc)
	if err != nil {
		fail(err)
	}
	if err := os.WriteFile(os.Args[2], out, 0o644); err != nil {
		fail(err)
	}
	fmt.Printf("%s: %d bytes, %d paths, %d definitions\n", os.Args[2], len(out), len(doc.GetPaths().GetPath()), len(doc.GetDefinitions().GetAdditionalProperties()))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
