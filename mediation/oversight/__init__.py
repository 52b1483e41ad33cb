"""The justice office's oversight of the committees: case-file review (案卷评查), quarterly
samples (抽查) and the assessment of committees and mediators (考核)."""
