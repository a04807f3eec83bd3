// The console page's entry (index.html): defines <porthole-console>, which does the rest.
import './console-app.js';
