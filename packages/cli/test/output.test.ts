import {describe, expect, it} from 'vitest';

import {outputChoice, renderOutput} from '../src/output.js';

const clusters = [
  {name: 'prod', connectivityStatus: 'Connected', nodes: 3, tags: {team: 'a'}},
  {name: 'dev', connectivityStatus: 'Offline', nodes: 1, tags: {}},
];
const render = (value: unknown, output: string, query?: string) =>
  renderOutput(value, outputChoice({output, query}));

describe('renderOutput', () => {
  it('prints JSON and YAML whole', () => {
    expect(render(clusters, 'json')).toBe(`${JSON.stringify(clusters, null, 2)}\n`);
    expect(render({name: 'prod', nodes: 3}, 'yaml')).toBe('name: prod\nnodes: 3\n');
  });

  it('prints TSV as values only, a line per item, leaving nested values out', () => {
    expect(render(clusters, 'tsv')).toBe('prod\tConnected\t3\ndev\tOffline\t1\n');
    expect(render('just-this', 'tsv')).toBe('just-this\n');
  });

  it('applies a JMESPath query first', () => {
    expect(render(clusters, 'tsv', "[?connectivityStatus=='Connected'].name")).toBe('prod\n');
    expect(render(clusters, 'json', 'length(@)')).toBe('2\n');
    expect(render(clusters, 'table', '[].{Name: name, Nodes: nodes}')).toBe(
      'Name  Nodes\n----  -----\nprod  3\ndev   1\n',
    );
  });

  it("uses the command's own table without a query, and a generic one otherwise", () => {
    const own = () => [['Cluster'], ['prod'], ['dev']];
    expect(renderOutput(clusters, outputChoice({output: 'table'}), own)).toBe(
      'Cluster\n-------\nprod\ndev\n',
    );
    expect(renderOutput(clusters, outputChoice({output: 'table', query: '[0]'}), own)).toBe(
      'Name  ConnectivityStatus  Nodes\n----  ------------------  -----\nprod  Connected           3\n',
    );
  });

  it('refuses an unknown format and an expression that is not JMESPath', () => {
    expect(() => outputChoice({output: 'xml'})).toThrow(
      expect.objectContaining({
        code: 'ERR_CLI_USAGE',
        message: '-o must be table, json, yaml, tsv (got "xml")',
      }) as Error,
    );
    expect(() => render(clusters, 'json', '[?name==')).toThrow(
      expect.objectContaining({
        code: 'ERR_CLI_USAGE',
        message: expect.stringMatching(/^--query is not a JMESPath expression: /) as string,
      }) as Error,
    );
  });
});
