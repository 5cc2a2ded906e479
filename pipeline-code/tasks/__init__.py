"""Task entrypoints: one module per Python task of pipeline.yaml; the handler is <module>.main."""
