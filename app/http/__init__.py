"""The HTTP edge shared by the web pages, the REST API and the live stream: problem
documents and error pages, security headers and limits, reading uploads."""
