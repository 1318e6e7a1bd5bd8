import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../stack/service-process.js';

/**
 * `npm run package:offline`: one self-contained archive for an air-gapped site
 * (docs/operations.md). It holds the tracked sources, SQL migrations, docs and
 * deploy files, the built UI, every production dependency already installed
 * (models inside @vladmandic/human, the embedded TimescaleDB, ffmpeg), the Node
 * runtime itself, and install.sh. Nothing is downloaded, here or at the site:
 * dev dependencies are pruned from a copy of this machine's node_modules.
 */
const say = (line: string) => process.stdout.write(`${line}\n`);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const name = `vigil-${pkg.version}-linux-${process.arch}`;
const out = join(ROOT, 'dist');
const stage = join(out, 'stage');
const app = join(stage, 'vigil');

rmSync(stage, { recursive: true, force: true });
mkdirSync(app, { recursive: true });

if (!existsSync(join(ROOT, 'command-center', 'public', 'index.html'))) {
  say('building the UI / 构建界面 …');
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

// the committed tree (HEAD), not the working copy: what is packaged is what was reviewed
say('exporting the committed sources / 导出已提交的源代码 …');
execFileSync('bash', ['-c', `git archive --format=tar HEAD | tar -x -C "${app}"`], { cwd: ROOT });
cpSync(join(ROOT, 'command-center', 'public'), join(app, 'command-center', 'public'), { recursive: true });

say('copying dependencies and pruning dev ones (offline) / 复制依赖并离线裁剪开发依赖 …');
execFileSync('cp', ['-a', join(ROOT, 'node_modules'), join(app, 'node_modules')]);
execFileSync('npm', ['prune', '--omit=dev', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: app, stdio: 'inherit' });

say('adding the Node runtime / 添加 Node 运行时 …');
mkdirSync(join(app, 'node', 'bin'), { recursive: true });
copyFileSync(process.execPath, join(app, 'node', 'bin', 'node'));
chmodSync(join(app, 'node', 'bin', 'node'), 0o755);
copyFileSync(join(ROOT, 'deploy', 'install.sh'), join(app, 'install.sh'));
chmodSync(join(app, 'install.sh'), 0o755);
writeFileSync(join(app, 'VERSION'), `${pkg.version}\nnode ${process.version}\nbuilt ${new Date().toISOString()}\n`);

const archive = join(out, `${name}.tar.gz`);
say(`writing ${archive} / 写入归档 …`);
execFileSync('tar', ['-czf', archive, '-C', stage, 'vigil']);
rmSync(stage, { recursive: true, force: true });
const mib = (statSync(archive).size / 1024 / 1024).toFixed(0);
say(`VIGIL_ARCHIVE ${archive} (${mib} MiB)`);
