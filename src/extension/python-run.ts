// "NN Debugger: Run Python File with NN Debugger": runs the active .py with python/ on PYTHONPATH and
// NN_DEBUGGER_STREAM naming a 127.0.0.1 socket this listens on, and shows the watched run live in the panel.
// The script runs in its own process: a crash shows its stderr in the output channel, never harms the editor.
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Disposable } from './dispose';
import { pytorchRunControl } from './external-control';
import { openRecordedRun } from './recorded-run';
import { RecordedFeed } from './recorded-feed';
import type { TrainingRuns } from './runs';
import type { RunOutcome } from './worker-host';

export const PYTHON_COMMANDS = { runPython: 'nnDebugger.runPythonFile', openRecordedRun: 'nnDebugger.openRecordedRun' } as const;

/** Lines of stderr kept for the failure message. */
const STDERR_TAIL = 12;

/** The interpreter: the Python extension's selection for this file, else nnDebugger.pythonPath, else python3. */
export async function pythonFor(uri: vscode.Uri): Promise<string> {
  const ext = vscode.extensions.getExtension('ms-python.python');
  if (ext) {
    try {
      const api = (ext.isActive ? ext.exports : await ext.activate()) as {
        environments?: { getActiveEnvironmentPath?(r: vscode.Uri): { path?: string } | undefined };
        settings?: { getExecutionDetails?(r: vscode.Uri): { execCommand?: string[] } | undefined };
      } | undefined;
      const env = api?.environments?.getActiveEnvironmentPath?.(uri)?.path;
      if (env) return env;
      const exec = api?.settings?.getExecutionDetails?.(uri)?.execCommand?.[0];
      if (exec) return exec;
    } catch {
      // fall back to the setting
    }
  }
  const setting = vscode.workspace.getConfiguration('nnDebugger', uri).get<string>('pythonPath', '').trim();
  return setting || 'python3';
}

async function listen(): Promise<net.Server> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return server;
}

export async function runPythonFile(runs: TrainingRuns, output: vscode.OutputChannel, extensionUri: vscode.Uri, uri?: vscode.Uri): Promise<RunOutcome | undefined> {
  const editor = vscode.window.activeTextEditor;
  const target = uri ?? (editor?.document.languageId === 'python' || editor?.document.uri.path.endsWith('.py') ? editor.document.uri : undefined);
  if (!target) {
    void vscode.window.showErrorMessage('NN Debugger: open a Python file to run it with NN Debugger.');
    return undefined;
  }
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showErrorMessage('NN Debugger: running a Python file needs a trusted workspace.');
    return undefined;
  }
  await vscode.workspace.textDocuments.find((d) => d.uri.toString() === target.toString() && d.isDirty)?.save();
  const python = await pythonFor(target);
  const server = await listen();
  const port = (server.address() as net.AddressInfo).port;
  const pythonPath = [vscode.Uri.joinPath(extensionUri, 'python').fsPath, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter);
  output.appendLine(`$ ${python} ${target.fsPath}   (NN_DEBUGGER_STREAM=127.0.0.1:${port})`);

  let child: ChildProcess | null = null;
  let stopped = false;
  const run = runs.startExternal(target, path.basename(target.path, '.py'), pytorchRunControl(() => target, () => feed.recorded?.model.layers ?? [], output, () => {
    stopped = true;
    child?.kill();
  }));
  const feed = new RecordedFeed(run, `${path.basename(target.path)} stream`);
  let streamError: string | null = null;
  const connections = new Set<net.Socket>();
  server.on('connection', (socket) => {
    connections.add(socket);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      if (streamError) return;
      try {
        feed.write(chunk);
      } catch (err) {
        streamError = err instanceof Error ? err.message : String(err);
        output.appendLine(`NN Debugger: bad stream data: ${streamError}`);
      }
    });
    socket.on('close', () => connections.delete(socket));
  });

  const stderr: string[] = [];
  const exit = new Promise<{ code: number | null; error: string | null }>((resolve) => {
    try {
      child = spawn(python, [target.fsPath], {
        cwd: path.dirname(target.fsPath),
        env: { ...process.env, PYTHONPATH: pythonPath, NN_DEBUGGER_STREAM: `127.0.0.1:${port}`, PYTHONUNBUFFERED: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      resolve({ code: null, error: err instanceof Error ? err.message : String(err) });
      return;
    }
    child.stdout?.setEncoding('utf8').on('data', (s: string) => output.append(s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      output.append(s);
      stderr.push(...s.split('\n').filter(Boolean));
      stderr.splice(0, Math.max(0, stderr.length - STDERR_TAIL));
    });
    child.on('error', (err) => resolve({ code: null, error: `could not start ${python}: ${err.message} (set nnDebugger.pythonPath)` }));
    child.on('close', (code) => resolve({ code, error: null }));
  });
  const { code, error } = await exit;
  // the socket may still hold the last lines after the process is gone
  await Promise.race([Promise.all([...connections].map((s) => new Promise((r) => s.once('close', r)))), new Promise((r) => setTimeout(r, 2000))]);
  server.close();
  const failure = error ?? streamError ?? (code !== 0 && !stopped ? `${path.basename(target.path)} exited with code ${code}: ${stderr.slice(-3).join(' | ') || 'no output'}` : null);
  if (failure) {
    output.appendLine(`NN Debugger: ${failure}`);
    void vscode.window.showErrorMessage(`NN Debugger: ${failure}`, 'Show Output').then((c) => c && output.show(true));
  }
  feed.finish({ status: stopped ? 'stopped' : 'completed', message: failure });
  return run.record.outcome ?? undefined;
}

/** The two PyTorch commands and their output channel. */
export class PythonRunsFeature extends Disposable {
  constructor(extensionUri: vscode.Uri, runs: TrainingRuns) {
    super();
    const output = this.register(vscode.window.createOutputChannel('NN Debugger: Python'));
    this.register(vscode.commands.registerCommand(PYTHON_COMMANDS.runPython, (uri?: vscode.Uri) => runPythonFile(runs, output, extensionUri, uri instanceof vscode.Uri ? uri : undefined)));
    this.register(vscode.commands.registerCommand(PYTHON_COMMANDS.openRecordedRun, (uri?: vscode.Uri) => openRecordedRun(runs, output, uri instanceof vscode.Uri ? uri : undefined)));
  }
}
