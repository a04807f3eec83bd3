// The script-tag entry (`porthole-components.js`): loading it defines every Porthole element
// — <porthole-sign-in>, <porthole-cluster-list>, <porthole-pod-table>, <porthole-logs> and
// <porthole-terminal> — and the page then uses them as plain HTML.
import './components/sign-in.js';
import './components/cluster-list.js';
import './components/pod-table.js';
import './components/logs.js';
import './components/terminal.js';
