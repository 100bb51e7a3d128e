import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Dialog,
  ICommandPalette,
  IToolbarWidgetRegistry,
  MainAreaWidget
} from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ToolbarButton, refreshIcon } from '@jupyterlab/ui-components';

import { CompareView } from './compare';
import { RunDetailView } from './detail';
import { ExportBody } from './exportdialog';
import { compareIcon, exportIcon, runsIcon } from './icons';
import { IRunsSettings, RunsPanel } from './runspanel';

const PLUGIN_ID = 'mlops-jupyter:plugin';

export const CommandIDs = {
  openPanel: 'mlops:open-runs-panel',
  compare: 'mlops:compare-runs',
  openRun: 'mlops:open-run',
  goToCell: 'mlops:go-to-cell',
  exportToDeploy: 'mlops:export-to-deploy'
} as const;

const DEFAULTS: IRunsSettings = { pollInterval: 1000, pageSize: 200, defaultStore: '' };

/** A notebook path as the contents API knows it (relative to the server root). */
function contentsPath(path: string): string {
  const root = (PageConfig.getOption('serverRoot') || '')
    .replace(/\\/g, '/')
    .replace(/\/$/, '');
  const p = path.replace(/\\/g, '/');
  if (root && p.startsWith(root + '/')) {
    return p.slice(root.length + 1);
  }
  return p.replace(/^\.\//, '');
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Runs sidebar, run comparison and Export to deploy for mlops-jupyter.',
  autoStart: true,
  requires: [IDocumentManager],
  optional: [
    ISettingRegistry,
    ICommandPalette,
    ILayoutRestorer,
    INotebookTracker,
    IToolbarWidgetRegistry
  ],
  activate: async (
    app: JupyterFrontEnd,
    docManager: IDocumentManager,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    notebooks: INotebookTracker | null,
    toolbars: IToolbarWidgetRegistry | null
  ) => {
    const { commands, shell } = app;
    let count = 0;

    const goToCell = async (notebookPath: string, cellId: string | null) => {
      const path = contentsPath(notebookPath);
      const widget = docManager.openOrReveal(path);
      if (!widget) {
        throw new Error(`Could not open ${path}: is it under the Jupyter server root?`);
      }
      shell.activateById(widget.id);
      if (!(widget instanceof NotebookPanel)) {
        return;
      }
      await widget.context.ready;
      await widget.revealed;
      const notebook = widget.content;
      const index = notebook.widgets.findIndex(cell => cell.model.id === cellId);
      if (index < 0) {
        throw new Error(
          `${path} has no cell with id ${cellId ?? '(none recorded)'}: ` +
            'the cell was deleted or the notebook was replaced since the run.'
        );
      }
      notebook.activeCellIndex = index;
      notebook.mode = 'command';
      await notebook.scrollToItem(index, 'center');
      notebook.activeCell?.node.focus();
    };

    const panel = new RunsPanel(
      {
        openRun: (store, runId) =>
          void commands.execute(CommandIDs.openRun, { store, runId }),
        compare: (store, ids) =>
          void commands.execute(CommandIDs.compare, { store, ids })
      },
      DEFAULTS
    );
    shell.add(panel, 'left', { rank: 650 });
    if (restorer) {
      restorer.add(panel, 'mlops-runs-panel');
    }

    commands.addCommand(CommandIDs.openPanel, {
      label: 'Show the Runs panel',
      icon: runsIcon,
      execute: () => shell.activateById(panel.id)
    });

    commands.addCommand(CommandIDs.compare, {
      label: 'Compare the selected runs',
      icon: compareIcon,
      isEnabled: args =>
        ((args.ids as string[] | undefined) ?? panel.selection.ids).length >= 2,
      execute: args => {
        const ids = (args.ids as string[] | undefined) ?? panel.selection.ids;
        const store = (args.store as string | null | undefined) ?? panel.store;
        const content = new CompareView(
          store,
          ids,
          (s, id) => void commands.execute(CommandIDs.openRun, { store: s, runId: id })
        );
        const widget = new MainAreaWidget({ content });
        widget.id = `mlops-compare-${++count}`;
        widget.title.label = `Compare ${ids.length} runs`;
        widget.title.icon = compareIcon;
        widget.title.closable = true;
        widget.toolbar.addItem(
          'refresh',
          new ToolbarButton({
            icon: refreshIcon,
            tooltip: 'Reload the comparison',
            onClick: () => void content.load()
          })
        );
        shell.add(widget, 'main');
        shell.activateById(widget.id);
        return widget;
      }
    });

    commands.addCommand(CommandIDs.openRun, {
      label: 'Open a run',
      icon: runsIcon,
      execute: args => {
        const runId = args.runId as string;
        const store = (args.store as string | null | undefined) ?? panel.store;
        const content = new RunDetailView(store, runId, goToCell);
        const widget = new MainAreaWidget({ content });
        widget.id = `mlops-run-${++count}`;
        widget.title.label = `Run ${runId.slice(0, 8)}`;
        widget.title.icon = runsIcon;
        widget.title.closable = true;
        content.title.changed.connect(() => (widget.title.label = content.title.label));
        shell.add(widget, 'main');
        shell.activateById(widget.id);
        return widget;
      }
    });

    commands.addCommand(CommandIDs.goToCell, {
      label: 'Go to the tracked cell of a run',
      execute: args =>
        goToCell(args.notebookPath as string, (args.cellId as string) ?? null)
    });

    const exportDialog = async (notebook: NotebookPanel) => {
      const body = new ExportBody(notebook.context.path, panel.store);
      const dialog = new Dialog({
        title: 'Export to deploy',
        body,
        buttons: [Dialog.cancelButton({ label: 'Close' })]
      });
      dialog.addClass('mj-ExportDialog');
      await dialog.launch();
    };

    // The notebook shown in the main area (the tracker's current one may be another
    // notebook when the user clicked a toolbar or the palette without focusing a cell).
    const currentNotebook = (): NotebookPanel | null => {
      const widget = shell.currentWidget;
      if (widget instanceof NotebookPanel) {
        return widget;
      }
      return notebooks?.currentWidget ?? null;
    };

    commands.addCommand(CommandIDs.exportToDeploy, {
      label: 'Export to deploy',
      caption: 'Export a run of this notebook as a deployable package (mlops-jupyter)',
      icon: exportIcon,
      isEnabled: () => currentNotebook() !== null,
      execute: async () => {
        const notebook = currentNotebook();
        if (notebook) {
          await exportDialog(notebook);
        }
      }
    });

    // The notebook toolbar button (jupyter.lab.toolbars in schema/plugin.json, so users can
    // move or hide it): bound to its own notebook, whichever one has the focus.
    if (toolbars) {
      toolbars.addFactory<NotebookPanel>(
        'Notebook',
        'mlops-export-to-deploy',
        notebook => {
          const button = new ToolbarButton({
            icon: exportIcon,
            label: 'Export to deploy',
            className: 'mj-ExportToolbarButton',
            tooltip:
              'Export a run of this notebook as a deployable package (mlops-jupyter)',
            onClick: () => void exportDialog(notebook)
          });
          return button;
        }
      );
    }

    if (palette) {
      const category = 'MLOps';
      palette.addItem({ command: CommandIDs.openPanel, category });
      palette.addItem({ command: CommandIDs.compare, category });
      palette.addItem({ command: CommandIDs.exportToDeploy, category });
    }

    if (settingRegistry) {
      try {
        const settings = await settingRegistry.load(PLUGIN_ID);
        const apply = () =>
          panel.updateSettings({
            ...DEFAULTS,
            ...(settings.composite as Partial<IRunsSettings>)
          });
        apply();
        settings.changed.connect(apply);
      } catch (error) {
        console.warn('mlops-jupyter: could not load the settings', error);
      }
    }
  }
};

export default plugin;
