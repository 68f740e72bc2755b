"""Browser tests of the dashboard page: headless Chromium (Debian's) driven by Playwright."""
