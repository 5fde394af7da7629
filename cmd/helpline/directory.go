package main

import (
	"archive/zip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"helpline/routing/directory"
)

const directoryUsage = "usage: helpline directory import|export [--format json|csv] FILE"

// directoryCommand runs `helpline directory import|export FILE`, on the
// PostgreSQL store, audited as the system (actor 0).
func directoryCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "import" && args[0] != "export" {
		return errors.New(directoryUsage)
	}
	fs := flag.NewFlagSet("directory "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "", "json or csv (default: from FILE: .json is JSON; .zip or a folder is CSV)")
	// Flags may come before or after FILE.
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return errors.New(directoryUsage)
	}
	file := rest[0]
	if err := fs.Parse(rest[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errors.New(directoryUsage)
	}
	f, err := directoryFormat(*format, file)
	if err != nil {
		return err
	}
	srv, err := openStaff(ctx, getenv, stdout, stderr)
	if err != nil {
		return err
	}
	defer srv.Close()
	if args[0] == "import" {
		set, err := readDirectory(f, file)
		if err != nil {
			return err
		}
		if err := srv.Directory.Import(ctx, set, filepath.Base(file), 0); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "imported %d services of %d organisations from %s\n", len(set.Services), len(set.Organizations), file)
		return nil
	}
	set, err := srv.Directory.Export(ctx)
	if err != nil {
		return err
	}
	if err := writeDirectory(f, file, set); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "exported %d services of %d organisations to %s\n", len(set.Services), len(set.Organizations), file)
	return nil
}

func directoryFormat(format, file string) (string, error) {
	switch {
	case format == "json" || format == "csv":
		return format, nil
	case format != "":
		return "", fmt.Errorf("--format %s: write json or csv", format)
	case strings.EqualFold(filepath.Ext(file), ".json"):
		return "json", nil
	case strings.EqualFold(filepath.Ext(file), ".zip"):
		return "csv", nil
	}
	if info, err := os.Stat(file); err == nil && info.IsDir() {
		return "csv", nil
	}
	return "", fmt.Errorf("%s: cannot tell the format from the name; end it in .json or .zip, or give --format json|csv", file)
}

// readDirectory reads JSON from a file, or CSV tables from a zip or a folder.
func readDirectory(format, file string) (directory.Set, error) {
	name := filepath.Base(file)
	if format == "json" {
		f, err := os.Open(file)
		if err != nil {
			return directory.Set{}, err
		}
		defer f.Close()
		return directory.ReadJSON(name, f)
	}
	if info, err := os.Stat(file); err == nil && info.IsDir() {
		return directory.ReadCSV(name, os.DirFS(file))
	}
	z, err := zip.OpenReader(file)
	if err != nil {
		return directory.Set{}, fmt.Errorf("%s: %w (CSV comes as a zip of HSDS tables, or a folder of them)", file, err)
	}
	defer z.Close()
	return directory.ReadCSV(name, z)
}

// writeDirectory writes JSON, or CSV tables in a zip, replacing FILE only
// once it is whole.
func writeDirectory(format, file string, set directory.Set) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if format == "json" {
		err = directory.WriteJSON(tmp, set)
	} else {
		err = directory.WriteCSV(tmp, set)
	}
	if err == nil {
		err = tmp.Close()
	} else {
		tmp.Close()
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return os.Rename(tmp.Name(), file)
}
