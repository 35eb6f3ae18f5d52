import { expect } from 'chai';
import {
  AlreadyExistsError, DumpInterruptedError, KernelError, NotFoundError, PermissionError, errnoCode, isNotFound, kernelError,
} from '../../lib/errors';

describe('errors', () => {
  it('maps errno numbers to Node-style codes', () => {
    expect(errnoCode(-17)).to.equal('EEXIST');
    expect(errnoCode(19)).to.equal('ENODEV');
    expect(errnoCode(-99999)).to.equal('E99999');
    // Linux-only errnos Node has no name for: the addon's name, if it is one.
    expect(errnoCode(-54, 'EXFULL')).to.equal('EXFULL');
    expect(errnoCode(-54)).to.equal('E54');
    expect(errnoCode(-54, 'E54')).to.equal('E54');
    expect(errnoCode(-17, 'EBOGUS'), 'Node\'s name first').to.equal('EEXIST');
    expect(kernelError({ errno: -54, code: 'EXFULL', syscall: 'RTM_NEWLINK', op: 'linkAdd', target: 'veth0' }).message).to.equal('linkAdd veth0: RTM_NEWLINK failed with EXFULL');
  });

  it('picks the subclass from the errno and keeps the kernel fields', () => {
    const e = kernelError({ errno: -17, syscall: 'RTM_NEWLINK', extack: 'File exists', op: 'linkAdd', target: 'br0' });
    expect(e).to.be.instanceOf(AlreadyExistsError).and.instanceOf(KernelError);
    expect(e).to.include({ code: 'EEXIST', errno: -17, syscall: 'RTM_NEWLINK', extack: 'File exists', op: 'linkAdd', target: 'br0' });
    expect(e.message).to.equal('linkAdd br0: RTM_NEWLINK failed with EEXIST: File exists');
    expect(kernelError({ errno: 19, syscall: 'RTM_DELLINK' })).to.be.instanceOf(NotFoundError).and.property('errno', -19);
    expect(kernelError({ errno: -1, syscall: 'RTM_NEWLINK' })).to.be.instanceOf(PermissionError);
    expect(kernelError({ errno: -4, syscall: 'RTM_GETLINK' })).to.be.instanceOf(DumpInterruptedError);
    const other = kernelError({ errno: -22, syscall: 'RTM_NEWADDR' });
    expect(other.constructor).to.equal(KernelError);
    expect(other.name).to.equal('KernelError');
  });

  it('keeps the cause and recognises not-found for idempotent teardown', () => {
    const cause = new Error('inner');
    const e = kernelError({ errno: -2, syscall: 'unlink', cause });
    expect(e.cause).to.equal(cause);
    expect(isNotFound(e)).to.equal(true);
    expect(isNotFound(kernelError({ errno: -17, syscall: 'x' }))).to.equal(false);
    expect(isNotFound(new Error('x'))).to.equal(false);
  });
});
