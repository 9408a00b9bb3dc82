"""Import and export formats. Each format is one module implementing `formats.Exporter` or
`formats.Importer`; the built-in ones register themselves in `formats.EXPORTERS` / `IMPORTERS`."""
