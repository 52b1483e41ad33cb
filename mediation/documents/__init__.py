"""Official documents (文书) as printable PDFs: rendering, storage, versions, verification."""
