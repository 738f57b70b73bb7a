// `twlab schema`: the JSON Schema of scenario files, for editors. The schema module (which
// loads the scenario tables, and through them the YAML parser) is imported when it runs.

import { REGENERATE, SCHEMA_PATH } from '../../scenario/facts.js';
import { ok, type Command, type Output } from '../command.js';

export const schemaCommand: Command = {
  name: 'schema',
  operands: '',
  summary: 'print the JSON Schema of scenario files, for editor completion and checks',
  about: [
    'Prints the JSON Schema (draft 2020-12) of scenario format v1, generated from the same ' +
      'tables the loader checks files with: every key with a description, its default and the ' +
      'values it takes, and the sysctl names twlab models. An editor that knows the schema ' +
      'completes keys, shows what a key means on hover, and marks a misspelt key as you type.',
    'In VS Code with the YAML extension (redhat.vscode-yaml), either put this first line in a ' +
      'scenario: "# yaml-language-server: $schema=PATH/scenario-v1.schema.json", or map files to ' +
      'it in settings.json: "yaml.schemas": { "PATH/scenario-v1.schema.json": "scenarios/*.yaml" }. ' +
      `The twlab repository keeps a copy in ${SCHEMA_PATH}.`,
    'The schema catches what a schema can; twlab simulate still checks the rest (host names that ' +
      'exist, times within the run, which sysctls the chosen kernel has).',
  ],
  flags: [],
  examples: [
    ['twlab schema > scenario-v1.schema.json', 'save it next to your scenarios'],
    [REGENERATE, 'refresh the copy in the twlab repository'],
  ],
  load: async () => {
    const { scenarioJsonSchemaText } = await import('../../scenario/jsonschema.js');
    return (): Output => ok(scenarioJsonSchemaText());
  },
};
