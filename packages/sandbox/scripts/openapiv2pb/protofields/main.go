// Command protofields writes, for every message in the vendored Kubernetes .proto files, how the Go
// struct behind it turns each protobuf field into JSON: the JSON name, `omitempty`, and whether the Go
// field is a pointer. A Go marshaller writes every non-pointer scalar, so a protobuf body carries zero
// values that the same object sent as JSON would have omitted; this table lets the sandbox's decoder
// produce exactly the JSON the client would have sent. Run by scripts/vendorProtos.mjs.
//
//	go run ./protofields <proto root> <out.json>
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	gogoproto "github.com/gogo/protobuf/proto"

	// Each import registers its package's messages with gogo/protobuf, which maps message names to Go types.
	_ "k8s.io/api/apps/v1"
	_ "k8s.io/api/authentication/v1"
	_ "k8s.io/api/authorization/v1"
	_ "k8s.io/api/autoscaling/v1"
	_ "k8s.io/api/core/v1"
	_ "k8s.io/api/discovery/v1"
	_ "k8s.io/api/networking/v1"
	_ "k8s.io/apimachinery/pkg/api/resource"
	_ "k8s.io/apimachinery/pkg/apis/meta/v1"
	_ "k8s.io/apimachinery/pkg/runtime"
	_ "k8s.io/apimachinery/pkg/runtime/schema"
	_ "k8s.io/apimachinery/pkg/util/intstr"
)

// Field is how one protobuf field of a message appears in the Go struct's JSON.
type Field struct {
	Number    int    `json:"number"`
	JSON      string `json:"json,omitempty"`
	OmitEmpty bool   `json:"omitempty,omitempty"`
	Pointer   bool   `json:"pointer,omitempty"`
	// An embedded struct (`json:",inline"`): its fields are written into the enclosing object.
	Inline bool `json:"inline,omitempty"`
}

// Table is the output file.
type Table struct {
	Source string `json:"source"`
	// Messages whose Go type marshals itself to JSON (Time, Quantity, IntOrString, …): the decoder must
	// know each of them by name.
	CustomJSON []string `json:"customJson"`
	// Messages whose Go type is a slice (ExtraValue is a []string): the protobuf message wraps the
	// elements in its field 1, `items`, and the JSON is the bare list.
	ListTypes []string `json:"listTypes"`
	// Fields in the Go struct's order, which is the order encoding/json writes them in.
	Messages map[string][]Field `json:"messages"`
}

var (
	packageRe = regexp.MustCompile(`^package ([\w.]+);`)
	messageRe = regexp.MustCompile(`^message (\w+) \{`)
	jsonMarsh = reflect.TypeOf((*json.Marshaler)(nil)).Elem()
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: protofields <proto root> <out.json>")
		os.Exit(2)
	}
	names, err := messageNames(os.Args[1])
	if err != nil {
		fail(err)
	}
	table := Table{Source: "k8s.io/api and k8s.io/apimachinery Go types (reflect), see SOURCE.md", Messages: map[string][]Field{}}
	for _, name := range names {
		ptr := gogoproto.MessageType(name)
		if ptr == nil {
			fail(fmt.Errorf("message %s has no registered Go type", name))
		}
		t := ptr.Elem()
		if ptr.Implements(jsonMarsh) || t.Implements(jsonMarsh) {
			table.CustomJSON = append(table.CustomJSON, name)
		}
		if t.Kind() == reflect.Slice {
			table.ListTypes = append(table.ListTypes, name)
		} else if t.Kind() != reflect.Struct {
			fail(fmt.Errorf("message %s is a Go %s; only structs and slices are handled", name, t.Kind()))
		}
		fields, err := structFields(name, t)
		if err != nil {
			fail(err)
		}
		table.Messages[name] = fields
	}
	sort.Strings(table.CustomJSON)
	sort.Strings(table.ListTypes)
	out, err := json.MarshalIndent(table, "", " ")
	if err != nil {
		fail(err)
	}
	if err := os.WriteFile(os.Args[2], append(out, '\n'), 0o644); err != nil {
		fail(err)
	}
	fmt.Printf("%s: %d messages, %d with their own JSON form, %d lists\n", os.Args[2], len(table.Messages), len(table.CustomJSON), len(table.ListTypes))
}

func structFields(name string, t reflect.Type) ([]Field, error) {
	fields := []Field{}
	if t.Kind() != reflect.Struct {
		return fields, nil
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		ptag := f.Tag.Get("protobuf")
		jtag := f.Tag.Get("json")
		if ptag == "" || ptag == "-" {
			// A field the protobuf form lacks would still be written as JSON if it is not omitempty.
			if jtag != "" && jtag != "-" && !strings.Contains(jtag, "omitempty") && !strings.Contains(jtag, "inline") && f.IsExported() {
				return nil, fmt.Errorf("%s.%s: JSON field %q has no protobuf counterpart", name, f.Name, jtag)
			}
			continue
		}
		// Keyed by field number: a few embedded structs have no name= in their protobuf tag.
		tagParts := strings.Split(ptag, ",")
		if len(tagParts) < 2 {
			return nil, fmt.Errorf("%s.%s: protobuf tag %q has no field number", name, f.Name, ptag)
		}
		number, err := strconv.Atoi(tagParts[1])
		if err != nil {
			return nil, fmt.Errorf("%s.%s: protobuf tag %q: %w", name, f.Name, ptag, err)
		}
		parts := strings.Split(jtag, ",")
		if f.Anonymous && parts[0] == "" {
			fields = append(fields, Field{Number: number, Inline: true, Pointer: f.Type.Kind() == reflect.Pointer})
			continue
		}
		if jtag == "-" {
			continue // never in JSON (FieldsV1.Raw, RawExtension.Raw: their types write themselves)
		}
		jsonName := parts[0]
		if jsonName == "" {
			jsonName = f.Name // encoding/json's rule for an untagged field
		}
		field := Field{Number: number, JSON: jsonName, Pointer: f.Type.Kind() == reflect.Pointer}
		for _, opt := range parts[1:] {
			if opt == "omitempty" {
				field.OmitEmpty = true
			}
		}
		fields = append(fields, field)
	}
	return fields, nil
}

func messageNames(root string) ([]string, error) {
	var names []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".proto") {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		pkg := ""
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := sc.Text()
			if m := packageRe.FindStringSubmatch(line); m != nil {
				pkg = m[1]
			}
			if m := messageRe.FindStringSubmatch(line); m != nil {
				names = append(names, pkg+"."+m[1])
			}
		}
		return sc.Err()
	})
	sort.Strings(names)
	return names, err
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
